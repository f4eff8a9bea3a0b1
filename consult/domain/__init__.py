"""Pure rules: functions of plain values, no I/O."""
