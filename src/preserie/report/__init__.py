"""The assessment as a French document: standalone HTML (charts inline, no network) and the PDF made from it."""
