"""The .docx templates (docxtpl), one per document type, and their metadata; package data."""
