"""Apache Spark training and batch audiences, writing the same model folder as the local engine."""
