"""Reports on the company (or a leader's team): structure, sales, payouts. Each report is one
function returning a `Report` that the API, the page, CSV and XLSX all render."""
