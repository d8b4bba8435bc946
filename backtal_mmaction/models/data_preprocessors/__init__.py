from .snippet_preprocessor import SnippetFeaturePreprocessor

__all__ = ['SnippetFeaturePreprocessor']
