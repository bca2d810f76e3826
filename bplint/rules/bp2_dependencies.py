"""placeholder: the BP2 dependency rules"""
