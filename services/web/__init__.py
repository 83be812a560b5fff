"""The HTTPS service: web console, JSON API and Prometheus metrics on aiohttp."""
