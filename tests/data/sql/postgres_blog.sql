--
-- PostgreSQL database dump
--

\restrict Jq3dX9kq1Vbq0mZ

-- Dumped from database version 16.2
-- Dumped by pg_dump version 16.2

SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: touch_updated(); Type: FUNCTION; Schema: public; Owner: blog
--

CREATE FUNCTION public.touch_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated := now();  -- a comment; with a semicolon
    INSERT INTO public.posts VALUES (99, 'from a function', 'must not be imported');
    RETURN NEW;
END;
$$;


ALTER FUNCTION public.touch_updated() OWNER TO blog;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: posts; Type: TABLE; Schema: public; Owner: blog
--

CREATE TABLE public.posts (
    id integer NOT NULL,
    title character varying(200) NOT NULL,
    body text,
    updated timestamp with time zone DEFAULT now()
);


ALTER TABLE public.posts OWNER TO blog;

--
-- Name: comments; Type: TABLE; Schema: public; Owner: blog
--

CREATE TABLE public.comments (
    id integer NOT NULL,
    post_id integer NOT NULL,
    "Author" text,
    body text NOT NULL
);

--
-- Name: qa; Type: TABLE; Schema: public; Owner: blog
--

CREATE TABLE public.qa (
    id integer NOT NULL,
    question text NOT NULL,
    answer text,
    attachment bytea
);

--
-- Data for Name: comments; Type: TABLE DATA; Schema: public; Owner: blog
--

COPY public.comments (id, post_id, "Author", body) FROM stdin;
1	1	bob	Great post!
2	1	\N	Line one\nLine two\twith a tab and a backslash \\ here
3	2	eve	Caf\303\251 in octal, caf\xc3\xa9 in hex
4	2	mallory	\N
\.


--
-- Data for Name: posts; Type: TABLE DATA; Schema: public; Owner: blog
--

COPY public.posts (id, title, body, updated) FROM stdin;
1	Hello, world	It's my first post; with a semicolon.	2024-01-02 10:00:00+00
2	Empty body		2024-01-03 10:00:00+00
\.


--
-- Data for Name: qa; Type: TABLE DATA; Schema: public; Owner: blog
--

COPY public.qa (id, question, answer, attachment) FROM stdin;
1	What is 2+2?	4	\N
2	Capital of France?	Paris	\\x89504e47
\.


--
-- Name: posts posts_pkey; Type: CONSTRAINT; Schema: public; Owner: blog
--

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT posts_pkey PRIMARY KEY (id);

CREATE TRIGGER posts_touch BEFORE UPDATE ON public.posts FOR EACH ROW EXECUTE FUNCTION public.touch_updated();

SELECT pg_catalog.setval('public.posts_id_seq', 2, true);

--
-- PostgreSQL database dump complete
--

\unrestrict Jq3dX9kq1Vbq0mZ

