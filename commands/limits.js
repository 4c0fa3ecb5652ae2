// @ts-check
/** Longest image name an option takes; Docker repository path components are far shorter in practice. */
export const MAX_IMAGE_OPTION_LENGTH = 100;
/** Longest list of image names, comma-separated, that `/rebuild` and `/validate` take. */
export const MAX_IMAGES_OPTION_LENGTH = 1000;
/** Longest git ref `/rebuild` takes. */
export const MAX_REF_OPTION_LENGTH = 200;
/** Longest run id or tag an option takes. */
export const MAX_RUN_OPTION_LENGTH = 128;
