"""The fix machinery: ``edits`` builds a fix's edits, ``apply`` applies them to text and files."""
