"""Stock: warehouses and the append-only movement journal."""
