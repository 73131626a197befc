"""Film audience engine: who is the audience for this film?"""

__version__ = "0.1.0"
