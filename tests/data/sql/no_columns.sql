-- Rows without a column list, and no CREATE TABLE: columns are numbered from 1.
INSERT INTO notes VALUES (1, 'Remember the milk', 'home');
INSERT INTO notes VALUES (2, 'Call Ada about the dump', 'work'), (3, NULL, 'work');
