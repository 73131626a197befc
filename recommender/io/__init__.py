"""Reading interaction logs, catalogs and user tables; ids, demo data, downloads, column names."""
