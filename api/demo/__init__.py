"""Demo content: the blog page in seed.txt, as a post with its author, tags and discussion."""
