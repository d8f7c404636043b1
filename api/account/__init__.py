"""The common-fund account at the HTTP edge: routes and its entries' reading."""
