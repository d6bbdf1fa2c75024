-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: forum
-- ------------------------------------------------------
-- Server version	8.0.36
-- A dump edited by hand afterwards: three statements have unbalanced quotes.

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!50503 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;

DROP TABLE IF EXISTS `posts`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `posts` (
  `id` int NOT NULL AUTO_INCREMENT,
  `title` varchar(200) NOT NULL,
  `body` mediumtext,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=12 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `posts` WRITE;
/*!40000 ALTER TABLE `posts` DISABLE KEYS */;
INSERT INTO `posts` VALUES (1,'Welcome','First post of the forum.'),(2,'Rules','Be kind. Don\'t spam.');
INSERT INTO `posts` VALUES (3,'Edited by hand','This row was edited and it's broken: the apostrophe is not escaped.'),(4,'Same statement','Lost with the damaged row before it.');
INSERT INTO `posts` VALUES (5,'After the damage','Read again: the next statement starts on its own line.');
INSERT INTO `posts` VALUES (6,'Unterminated','This string never closes);
INSERT INTO `posts` VALUES (7,'Still read','The row after the unterminated string.');
INSERT INTO `posts` VALUES (8,'Escaped close','A backslash escapes the closing quote\');
INSERT INTO `posts` VALUES (9,'Read as well','The last row of posts.');
/*!40000 ALTER TABLE `posts` ENABLE KEYS */;
UNLOCK TABLES;

DROP TABLE IF EXISTS `users`;
CREATE TABLE `users` (
  `id` int NOT NULL,
  `name` varchar(50) NOT NULL,
  `note` text,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES `users` WRITE;
INSERT INTO `users` SET `id`=1, `name`='ana', `note`='Set form, written by a migration script.';
INSERT INTO users SET id = 2, name = 'bo', note = 'It\'s upserted.' ON DUPLICATE KEY UPDATE note = VALUES(note);
REPLACE INTO `users` SET `users`.`id`=3, `name`='cy', `note`=NULL;
UNLOCK TABLES;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;

-- Dump completed on 2024-03-02 10:15:42
