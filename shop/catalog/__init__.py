"""The catalogue: products, variants, bundles, stock; product pages and product JSON."""
