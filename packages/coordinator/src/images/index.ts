/**
 * Container images (`PackageType: Image`): where an `ImageUri` may point (uploads, and paths under
 * the operator's image directories only), reading OCI image layouts and OCI / docker-archive
 * tarballs, unpacking layers safely into a root, packing it for zone nodes (docs/runtimes.md).
 */
export {
  DEFAULT_IMAGE_LIMITS,
  IMAGE_NAME,
  ImageBuilder,
  type BuiltImage,
  type ImageBuilderComponents,
  type ImageBuilderOptions,
  type ImageBuilderSettings,
  type ImageLimits,
  type ResolvedImageLimits,
} from './image-builder.js';
export { UPLOADED_IMAGE_PREFIX, locateImage, unreadableHostImage, type ImageLocation } from './image-location.js';
export { ImageError, ImageErrorCode, isImageError } from './image-errors.js';
export { imageConfigResponse, imageRunConfig, parseImageConfig, type ImageConfigOverrides, type ImageRecord } from './image-config.js';
export { configFields, resolveImage, type ImageConfigFields, type ResolvedImage } from './image-manifest.js';
export { RootBuilder, type LayerDigests, type UnpackLimits } from './layer-unpacker.js';
export { openLayoutDirectory, openLayoutTarball, type ImageLayout } from './image-layout.js';
