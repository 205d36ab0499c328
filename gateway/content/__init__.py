"""Reading a message: MIME parsing and text extraction from every attachment format."""
