-- demo.sql: the `shop` database behind `make run`'s demo PostgreSQL.
--
-- 200 customers with fake but realistic personal data (names, emails on example.*
-- domains, 555-01xx phone numbers, SSNs, Luhn-valid card numbers, IBANs with valid
-- check digits), 600 orders and a few API keys, generated here so the file stays small.
-- setseed() makes every load produce the same rows.
--
-- SPDX-License-Identifier: GPL-3.0-or-later

\set ON_ERROR_STOP on
SET client_min_messages = warning;

BEGIN;

SELECT setseed(0.4217);

CREATE TABLE customers (
  id          integer PRIMARY KEY,
  name        text NOT NULL,
  email       text NOT NULL,
  phone       text,
  ssn         text,
  card_number text,
  iban        text,
  address     text,
  created_at  timestamptz NOT NULL
);

CREATE TABLE orders (
  id          integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  total       numeric(10, 2) NOT NULL,
  status      text NOT NULL,
  placed_at   timestamptz NOT NULL
);

CREATE TABLE api_keys (
  service     text PRIMARY KEY,
  key         text NOT NULL
);

-- n random decimal digits
CREATE FUNCTION pg_temp.digits (n integer) RETURNS text
LANGUAGE sql AS $$
  SELECT string_agg(floor(random() * 10)::int::text, '') FROM generate_series(1, n)
$$;

-- PAYLOAD followed by its Luhn check digit
CREATE FUNCTION pg_temp.luhn (payload text) RETURNS text
LANGUAGE sql AS $$
  SELECT payload || ((10 - sum(d) % 10) % 10)::text
  FROM (
    SELECT CASE WHEN i % 2 = 1 THEN (2 * v) / 10 + (2 * v) % 10 ELSE v END AS d
    FROM (SELECT i, substr(reverse(payload), i, 1)::int AS v
          FROM generate_series(1, length(payload)) AS i) AS positions
  ) AS doubled
$$;

-- A German IBAN (DE, 18-digit BBAN) with ISO 7064 mod-97 check digits
CREATE FUNCTION pg_temp.iban_de (bban text) RETURNS text
LANGUAGE sql AS $$
  SELECT 'DE' || lpad((98 - ((bban || '131400')::numeric % 97))::text, 2, '0') || bban
$$;

-- 15 digits of a Visa (4) or Mastercard (51-55) number, before its check digit
CREATE FUNCTION pg_temp.card_prefix () RETURNS text
LANGUAGE sql AS $$
  SELECT p || pg_temp.digits(15 - length(p))
  FROM (SELECT (ARRAY['4', '51', '52', '53', '54', '55'])[1 + floor(random() * 6)::int] AS p) AS brand
$$;

CREATE FUNCTION pg_temp.pick (choices text[]) RETURNS text
LANGUAGE sql AS $$
  SELECT choices[1 + floor(random() * array_length(choices, 1))::int]
$$;

INSERT INTO customers
SELECT g,
       first || ' ' || last,
       lower(first) || '.' || lower(last) || g || '@' ||
         pg_temp.pick('{example.com,example.org,example.net}'),
       '+1 ' || pg_temp.pick('{202,312,415,512,617,718}') || '-555-01' || pg_temp.digits(2),
       (100 + floor(random() * 565))::int || '-' || lpad((1 + floor(random() * 99))::int::text, 2, '0')
         || '-' || lpad((1 + floor(random() * 9999))::int::text, 4, '0'),
       pg_temp.luhn(pg_temp.card_prefix()),
       pg_temp.iban_de(pg_temp.digits(18)),
       (1 + floor(random() * 9800))::int || ' ' ||
         pg_temp.pick('{Maple,Oak,Cedar,Pine,Elm,Birch,Willow,Lake,Hill,Park}') || ' ' ||
         pg_temp.pick('{Street,Avenue,Road,Lane,Drive}') || ', ' ||
         pg_temp.pick('{Springfield,Riverton,Fairview,Greenville,Madison,Georgetown}'),
       now() - random() * interval '900 days'
FROM (
  SELECT g,
         pg_temp.pick('{Alice,Bruno,Chloe,Dmitri,Elena,Farid,Grace,Hiro,Ines,Jonas,Keiko,Liam,'
                      'Maya,Nikolai,Olivia,Pedro,Quinn,Rosa,Samir,Tara,Umar,Vera,Wen,Yusuf,Zoe}') AS first,
         pg_temp.pick('{Anderson,Becker,Costa,Dubois,Eriksen,Fischer,Garcia,Hughes,Ivanova,'
                      'Jensen,Kowalski,Lopez,Moreau,Novak,Okafor,Patel,Rossi,Schmidt,Tanaka,'
                      'Usman,Varga,Weber,Yilmaz,Zhang}') AS last
  FROM generate_series(1, 200) AS g
) AS people;

INSERT INTO orders
SELECT g,
       1 + floor(random() * 200)::int,
       round((5 + random() * 495)::numeric, 2),
       pg_temp.pick('{pending,paid,shipped,delivered,refunded}'),
       now() - random() * interval '600 days'
FROM generate_series(1, 600) AS g;

-- Secrets in the shapes that scanners recognise, random at load time.
INSERT INTO api_keys VALUES
  ('stripe',  'sk_live_' || substr(md5(random()::text) || md5(random()::text), 1, 24)),
  ('github',  'ghp_' || substr(md5(random()::text) || md5(random()::text), 1, 36)),
  ('aws',     'AKIA' || upper(substr(md5(random()::text), 1, 16))),
  ('slack',   'xoxb-' || pg_temp.digits(12) || '-' || pg_temp.digits(13) || '-'
                || substr(md5(random()::text), 1, 24)),
  ('sendgrid','SG.' || substr(md5(random()::text), 1, 22) || '.'
                || substr(md5(random()::text) || md5(random()::text), 1, 43));

CREATE INDEX orders_customer_id ON orders (customer_id);

COMMIT;

ANALYZE customers, orders, api_keys;
