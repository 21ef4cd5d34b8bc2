/// The retention engine: policies, inventory, planner, plan, lint and cost model. Pure: no I/O.
public enum RetentionModule {}
