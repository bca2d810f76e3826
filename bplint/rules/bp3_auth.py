"""placeholder: filled by the bp3 family"""
