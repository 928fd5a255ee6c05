/** Limits that keep one object's block a reasonable size. */
export interface DetailLimits {
  /** Characters of one value shown in a diff block before it is cut. */
  maxValueChars: number;
  /** Fields of one object shown before the rest are counted only. */
  maxFields: number;
  /**
   * Rows of the skew table (it sits in the head, which the first comment part must hold);
   * default 10. The JSON report always has every entry.
   */
  maxSkew?: number;
}

/** Detail for the comment: one object must fit comfortably in a 65,536-character comment. */
export const COMMENT_LIMITS: DetailLimits = { maxValueChars: 1_000, maxFields: 40, maxSkew: 10 };
/** Detail for the job summary and `--output markdown`: nearly everything. */
export const FULL_LIMITS: DetailLimits = { maxValueChars: 20_000, maxFields: 1_000, maxSkew: 100 };
/** Fallback when even the normal detail of one object does not fit. */
export const TIGHT_LIMITS: DetailLimits = { maxValueChars: 120, maxFields: 10 };
