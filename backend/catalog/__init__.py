"""The catalog: products and price lists."""
