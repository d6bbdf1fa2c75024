-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: blog
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `users`
--

DROP TABLE IF EXISTS `users`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `users` (
  `id` int NOT NULL AUTO_INCREMENT,
  `email` varchar(255) NOT NULL,
  `avatar` blob,
  `created_at` datetime DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `email` (`email`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `users`
--

LOCK TABLES `users` WRITE;
/*!40000 ALTER TABLE `users` DISABLE KEYS */;
INSERT INTO `users` VALUES (1,'ada@example.org',0x89504E470D0A1A0A,'2024-01-02 10:00:00'),(2,'bob@example.org',NULL,'2024-01-03 11:30:00');
/*!40000 ALTER TABLE `users` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `posts`
--

DROP TABLE IF EXISTS `posts`;
CREATE TABLE `posts` (
  `id` int NOT NULL AUTO_INCREMENT,
  `title` varchar(200) NOT NULL,
  `body` mediumtext,
  `author_id` int DEFAULT NULL,
  `published` tinyint(1) NOT NULL DEFAULT '0',
  PRIMARY KEY (`id`),
  KEY `author_id` (`author_id`),
  CONSTRAINT `posts_ibfk_1` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4;

LOCK TABLES `posts` WRITE;
/*!40000 ALTER TABLE `posts` DISABLE KEYS */;
INSERT INTO `posts` VALUES (1,'Hello, world','It\'s my first post.\nSecond line with a \"quote\" and a backslash: C:\\temp.',1,1),(2,'Tabs\tand CRs','Line one\r\nLine two\twith a tab; and a semicolon; inside',1,1),(3,'Draft',NULL,2,0),(4,'Unicode','Caf├⌐? No: Café, naïve, 日本語 and an emoji 🎉. 50% off_sale \% \_',2,1);
/*!40000 ALTER TABLE `posts` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `comments`
--

DROP TABLE IF EXISTS `comments`;
CREATE TABLE `comments` (
  `id` int NOT NULL AUTO_INCREMENT,
  `post_id` int NOT NULL,
  `author` varchar(100) DEFAULT NULL,
  `body` text NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES `comments` WRITE;
INSERT INTO `comments` (`id`, `post_id`, `author`, `body`) VALUES (1,1,'bob','Great post!'),(2,1,_utf8mb4'eve',_utf8mb4'Doubled ''quotes'' work too'),(3,2,'mallory',_binary 'not really text'),(4,2,NULL,'Anonymous /* not a comment */ -- nor this # nor this');
UNLOCK TABLES;

--
-- Table structure for table `qa`
--

CREATE TABLE `qa` (
  `id` int NOT NULL,
  `question` text,
  `answer` text,
  PRIMARY KEY (`id`)
);
INSERT INTO `qa` VALUES (1,'What is 2+2?','4'),(2,'Capital of France?','Paris, of course.');

--
-- Dumping routines for database 'blog'
--
/*!50003 DROP PROCEDURE IF EXISTS `publish_all` */;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` PROCEDURE `publish_all`()
BEGIN
  UPDATE posts SET published = 1;
  INSERT INTO posts VALUES (99,'From a procedure','must not be imported',1,1);
END ;;
DELIMITER ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `posts_bi` BEFORE INSERT ON `posts` FOR EACH ROW BEGIN
  INSERT INTO comments VALUES (100, NEW.id, 'bot', 'trigger text; must not be imported');
END */;;
DELIMITER ;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2024-05-01 12:00:00
