--
-- PostgreSQL database dump
--

-- Dumped from database version 16.2
-- Dumped by pg_dump version 16.2 (pg_dump --inserts --column-inserts --rows-per-insert=2)

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE TABLE public.posts (
    id integer NOT NULL,
    title character varying(200) NOT NULL,
    body text,
    cover bytea
);

CREATE TABLE public.qa (
    id integer GENERATED ALWAYS AS IDENTITY,
    question text NOT NULL,
    answer text NOT NULL
);

--
-- Data for Name: posts; Type: TABLE DATA; Schema: public; Owner: blog
--

INSERT INTO public.posts (id, title, body, cover) VALUES
	(1, 'Hello', 'It''s my first post. A backslash stays: C:\temp\new', NULL),
	(2, 'Escapes', E'E-string: it\'s\ttabbed\nand \\ backslashed, caf\303\251 \u00e9', NULL);
INSERT INTO public.posts (id, title, body, cover) VALUES
	(3, 'Cover only', NULL, '\x89504e470d0a1a0a'),
	(4, 'Dollar', $q$Dollar-quoted; with 'quotes' inside$q$, '\x00');
INSERT INTO public.posts (id, title, body, cover) VALUES
	(5, 'Multi
line title', 'A body
over two lines', NULL) ON CONFLICT DO NOTHING;

--
-- Data for Name: qa; Type: TABLE DATA; Schema: public; Owner: blog
--

INSERT INTO public.qa (id, question, answer) OVERRIDING SYSTEM VALUE VALUES (1, 'What is 2+2?', '4');
INSERT INTO public.qa (id, question, answer) OVERRIDING SYSTEM VALUE VALUES (2, 'Cast?', 'yes'::text);

SELECT pg_catalog.setval('public.qa_id_seq', 2, true);

--
-- PostgreSQL database dump complete
--
