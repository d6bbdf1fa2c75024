PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE posts(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  [body] TEXT,
  thumbnail BLOB
);
INSERT INTO posts VALUES(1,'Hello','It''s my first post.',NULL);
INSERT INTO posts VALUES(2,'Newlines',replace('Line one\nLine two\nand a backslash \\ too','\n',char(10)),NULL);
INSERT INTO posts VALUES(3,'Windows',replace(replace('CRLF line\r\nnext\r\n','\r',char(13)),'\n',char(10)),NULL);
INSERT INTO posts VALUES(4,'Thumbnail only',NULL,X'89504E470D0A1A0A');
INSERT INTO posts VALUES(5,'Old style','Raw newline
inside the string',NULL);
CREATE TABLE "comments" ("id" integer primary key, "post_id" integer, "body" text);
INSERT INTO comments VALUES(1,1,'First!');
INSERT INTO comments VALUES(2,1,'Hex blob in text column',NULL);
INSERT INTO comments VALUES(3,2,X'48656C6C6F');
CREATE TABLE qa (id INTEGER PRIMARY KEY, question TEXT, answer TEXT);
INSERT INTO qa VALUES(1,'What is 2+2?','4');
INSERT INTO qa VALUES(2,'Why "quotes"?','Because "double quotes" are just characters here.');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('posts',5);
CREATE TRIGGER comments_log AFTER INSERT ON comments
BEGIN
  INSERT INTO qa VALUES (NEW.id + 100, 'trigger question; not data', CASE WHEN NEW.body IS NULL THEN 'none' ELSE 'some' END);
END;
CREATE INDEX comments_post ON comments(post_id);
COMMIT;
