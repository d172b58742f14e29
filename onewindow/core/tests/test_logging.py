import logging


def test_log_lines_never_carry_id_or_phone_numbers(caplog):
    from onewindow.core.logging import MaskPersonalDataFilter

    logger = logging.getLogger("onewindow.test")
    handler_filter = MaskPersonalDataFilter()
    record = logger.makeRecord(
        "onewindow.test", logging.INFO, __file__, 1, "sent to %s for %s",
        ("13905391001", "11010519491231002X"), None,
    )
    assert handler_filter.filter(record)
    assert record.getMessage() == "sent to 139****1001 for 110105********002X"
