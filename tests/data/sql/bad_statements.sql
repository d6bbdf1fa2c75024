-- A hand-edited MySQL dump with damaged statements between good ones.
CREATE TABLE `notes` (`id` int, `title` varchar(100), `content` text);
INSERT INTO `notes` VALUES (1,'first','A good row before the damage.');
INSERT INTO `notes` VALUES (2,'second','Kept: the damage is in the next tuple.'),(3,'third',,'two commas'),(4,'fourth','lost with the rest of its statement');
INSERT INTO `notes` VALUES (5,'fifth','Good again; with a semicolon inside the string.');
This line is not SQL at all, it is prose pasted into the dump;
INSERT INTO `notes` (`id`, `title`, `content`) SELECT id, title, body FROM `posts`;
INSERT INTO `notes` VALUES (6,'sixth','Too many values', 'extra');
INSERT INTO `notes` VALUES (7 'seventh','missing comma');
INSERT INTO `notes` VALUES (8,'eighth',CONCAT('an ', 'expression'));
INSERT INTO `notes` VALUES (9,'ninth','The last good row.');
