"""placeholder: filled by the bp4 family"""
