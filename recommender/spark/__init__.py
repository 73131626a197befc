"""Apache Spark training and batch audiences, writing the same model folder as the local engine.

``session`` starts Spark (or says what to install), ``reading`` turns files into merged, indexed
events, ``training`` fits MLlib ALS into a ``Model`` (also as the ``SparkTrainer``), ``scoring``
writes every film's audience as Parquet. pyspark is imported inside the functions, so the
package imports without it.
"""

from recommender.spark.scoring import (
    batch_audiences_spark,
    read_audiences,
    read_audiences_context,
)
from recommender.spark.session import SparkUnavailableError, get_session
from recommender.spark.training import SparkTrainer, train_spark, train_spark_interactions

__all__ = [
    "SparkTrainer",
    "SparkUnavailableError",
    "batch_audiences_spark",
    "get_session",
    "read_audiences",
    "read_audiences_context",
    "train_spark",
    "train_spark_interactions",
]
