SELECT id, name
  FROM customers
 WHERE created_at > now() - interval '7 days';
