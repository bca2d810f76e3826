"""placeholder: filled by the bp7 family"""
