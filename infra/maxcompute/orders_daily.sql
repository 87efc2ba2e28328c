CREATE TABLE IF NOT EXISTS `orders_daily` (
  `k` STRING,
  `v` STRING,
  `kafka_partition` STRING,
  `kafka_offset` STRING,
  `ts` STRING,
  `order_id` STRING,
  `customer_id` STRING,
  `total` STRING
)
PARTITIONED BY (`ds` STRING)
LIFECYCLE 36500;
