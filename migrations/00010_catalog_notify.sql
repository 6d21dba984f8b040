-- +goose Up
-- Every change to what public offer pages show notifies the channel bursar_catalog when its transaction commits,
-- so each Bursar process can drop its cached pages. Statement-level: one notification per statement, and
-- PostgreSQL folds identical notifications of one transaction into one.
-- +goose StatementBegin
CREATE FUNCTION bursar_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bursar_catalog', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER offers_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON offers
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_catalog_changed();
CREATE TRIGGER offer_products_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON offer_products
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_catalog_changed();
CREATE TRIGGER offer_payment_systems_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON offer_payment_systems
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_catalog_changed();
CREATE TRIGGER products_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_catalog_changed();
CREATE TRIGGER payment_systems_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON payment_systems
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_catalog_changed();
CREATE TRIGGER settings_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION bursar_catalog_changed();

-- +goose Down
DROP TRIGGER settings_catalog_changed ON settings;
DROP TRIGGER payment_systems_catalog_changed ON payment_systems;
DROP TRIGGER products_catalog_changed ON products;
DROP TRIGGER offer_payment_systems_catalog_changed ON offer_payment_systems;
DROP TRIGGER offer_products_catalog_changed ON offer_products;
DROP TRIGGER offers_catalog_changed ON offers;
DROP FUNCTION bursar_catalog_changed();
