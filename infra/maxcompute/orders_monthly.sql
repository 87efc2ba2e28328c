CREATE TABLE IF NOT EXISTS `orders_monthly` (
  `__key__` STRING,
  `__value__` STRING,
  `__timestamp__` BIGINT
)
PARTITIONED BY (`ds` STRING)
LIFECYCLE 36500;
