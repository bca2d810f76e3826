"""placeholder: filled by the bp6 family"""
