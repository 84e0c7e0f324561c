/** The demo's sample schema: a small shop with the object kinds a real one has. */
export const SAMPLE_SCHEMA_SQL = `
CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE shop;
CREATE TABLE customers (
  id INT UNSIGNED PRIMARY KEY AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(190) UNIQUE,
  country CHAR(2) NOT NULL DEFAULT 'DE',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
);
CREATE TABLE products (
  id INT UNSIGNED PRIMARY KEY AUTO_INCREMENT,
  sku VARCHAR(32) NOT NULL UNIQUE,
  title VARCHAR(200) NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  attributes JSON,
  stock INT NOT NULL DEFAULT 0
);
CREATE TABLE orders (
  id BIGINT UNSIGNED PRIMARY KEY AUTO_INCREMENT,
  customer_id INT UNSIGNED NOT NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  placed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE TABLE order_items (
  order_id BIGINT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  qty SMALLINT UNSIGNED NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (order_id, product_id),
  CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
);
CREATE TABLE audit_trail (msg VARCHAR(255), at DATETIME(6));
CREATE VIEW order_totals AS SELECT c.id AS customer_id, c.name, COUNT(o.id) AS orders, COALESCE(SUM(o.total),0) AS spent
  FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.name;
CREATE TRIGGER orders_paid AFTER UPDATE ON orders FOR EACH ROW
  INSERT INTO audit_trail VALUES (CONCAT('order ', NEW.id, ' ', OLD.status, ' -> ', NEW.status), NOW(6));
CREATE PROCEDURE restock(IN p_sku VARCHAR(32), IN p_qty INT) UPDATE products SET stock = stock + p_qty WHERE sku = p_sku;
`;

/** INSERTs for n customers, n/5 products, 2n orders with items. Deterministic. */
export function sampleDataSql(n: number): string {
  const out: string[] = ["USE shop;"];
  const names = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Edsger", "Frances", "Dennis", "Hedy", "Zoë", "José", "Søren", "Łukasz", "Ärger"];
  const chunk = (rows: string[], table: string, cols: string) => {
    for (let i = 0; i < rows.length; i += 1000) out.push(`INSERT INTO ${table} ${cols} VALUES ${rows.slice(i, i + 1000).join(",")};`);
  };
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const customers: string[] = [];
  for (let i = 1; i <= n; i++) customers.push(`(${i}, '${names[i % names.length]} ${i}', 'user${i}@example.com', '${["DE", "FR", "US", "JP", "BR"][i % 5]}', '2026-01-01' + INTERVAL ${i} MINUTE)`);
  chunk(customers, "customers", "(id, name, email, country, created_at)");
  const products: string[] = [];
  const np = Math.max(10, Math.floor(n / 5));
  for (let i = 1; i <= np; i++) products.push(`(${i}, 'SKU-${i}', 'Product ${i}', ${(rnd() * 500).toFixed(2)}, '{"color":"${["red", "blue", "green"][i % 3]}","weight":${(rnd() * 10).toFixed(3)}}', ${Math.floor(rnd() * 100)})`);
  chunk(products, "products", "(id, sku, title, price, attributes, stock)");
  const orders: string[] = [];
  const items: string[] = [];
  for (let i = 1; i <= 2 * n; i++) {
    const cust = 1 + Math.floor(rnd() * n);
    orders.push(`(${i}, ${cust}, '${["new", "paid", "shipped", "cancelled"][i % 4]}', ${(rnd() * 900).toFixed(2)}, '2026-02-01' + INTERVAL ${i} MINUTE)`);
    const k = 1 + Math.floor(rnd() * 3);
    const used = new Set<number>();
    for (let j = 0; j < k; j++) {
      const p = 1 + Math.floor(rnd() * np);
      if (used.has(p)) continue;
      used.add(p);
      items.push(`(${i}, ${p}, ${1 + Math.floor(rnd() * 5)}, ${(rnd() * 200).toFixed(2)})`);
    }
  }
  chunk(orders, "orders", "(id, customer_id, status, total, placed_at)");
  chunk(items, "order_items", "(order_id, product_id, qty, price)");
  return out.join("\n");
}
