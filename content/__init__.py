"""The editorial side of the store: guides and reviews that link to live product cards.

`content.views` serves the articles, `content.seo` the sitemap, feed and robots.txt;
`content.service` holds the rules (what is live, prev/next, related, card facts).
"""
