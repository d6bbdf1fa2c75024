PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE notes(id INTEGER PRIMARY KEY, content TEXT);
INSERT INTO notes VALUES(1,'One.');
INSERT INTO notes VALUES(2,'Two.');
INSERT INTO notes VALUES(3,'Three, and the file was cut in the middle of this stri
