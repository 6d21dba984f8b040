-- name: ProductsCount :one
SELECT count(*) FROM products;
