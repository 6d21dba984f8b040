-- +goose Up
-- Exchange rates the school maintains in Settings: 1 base = rate quote ("1 EUR = 41.25 UAH"). Used to price an
-- order in a payment system's fallback currency. The reverse pair may be absent: conversion then uses 1/rate.
CREATE TABLE exchange_rates (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    base       text           NOT NULL CHECK (base ~ '^[A-Z]{3}$'),
    quote      text           NOT NULL CHECK (quote ~ '^[A-Z]{3}$'),
    rate       numeric(20,10) NOT NULL CHECK (rate > 0),
    updated_at timestamptz    NOT NULL DEFAULT now(),
    updated_by text           NOT NULL DEFAULT '',
    CHECK (base <> quote),
    UNIQUE (base, quote)
);

-- +goose Down
DROP TABLE exchange_rates;
