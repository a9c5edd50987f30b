"""trawler beside Playwright, httpx, Crawlee and Scrapy on one catalog; see __main__."""
