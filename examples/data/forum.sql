-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: forum
-- ------------------------------------------------------
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;

DROP TABLE IF EXISTS `posts`;
CREATE TABLE `posts` (
  `id` int NOT NULL AUTO_INCREMENT,
  `title` varchar(255) NOT NULL,
  `body` text NOT NULL,
  `author` varchar(64) DEFAULT NULL,
  `avatar` blob,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES `posts` WRITE;
INSERT INTO `posts` VALUES (1,'Best way to store winter squash?','Keep them somewhere cool and dry, around 10-15 degrees, and don\'t let them touch each other. Butternut keeps for months; acorn squash only for a few weeks.','gardener42',NULL),(2,'Tomatoes splitting after rain','Splitting happens when the plant takes up a lot of water quickly after a dry spell. Water deeply and regularly, and mulch to keep the soil moisture even.','redfruit',0x89504E47),(3,'Is it too late to plant garlic?','In most temperate areas you can plant garlic until the ground freezes. Cloves planted late still root before winter; the bulbs may just be a little smaller.','allium_fan',NULL);
INSERT INTO `posts` VALUES (4,'Composting citrus peels','Citrus peels compost fine in moderation. They break down slower, so chop them, and don\'t add so many that the heap turns acidic. Worm bins are the exception: worms dislike them.','heapkeeper',NULL),(5,'Why do my seedlings fall over?','Seedlings that collapse at the soil line usually have damping-off, a fungal disease. Use fresh seed compost, water from below, and give them air movement - a small fan helps.','sprout',NULL);
UNLOCK TABLES;

DELIMITER ;;
CREATE TRIGGER `posts_bi` BEFORE INSERT ON `posts` FOR EACH ROW BEGIN
  SET NEW.title = TRIM(NEW.title);
END ;;
DELIMITER ;
