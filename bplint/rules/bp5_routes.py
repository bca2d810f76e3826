"""placeholder: filled by the bp5 family"""
