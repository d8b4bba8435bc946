"""Temporal action localization dataset with video labels and clicks."""
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmengine.logging import print_log

from ..utils import CLICK_TYPES, check_flags, check_range
from .clicks import load_click_file, merge_click_files, validate_clicks
from .clicks.heldout import HELDOUT_KEEP, heldout_videos
from .gt_io import MMACTION_LAYOUT, feature_span, load_gt, read_class_list

ANNOTATOR_MODES = ('merge', 'first', 'random')


@DATASETS.register_module()
class ClickTALDataset(BaseActionDataset):
    """Untrimmed videos as pre-extracted snippet features, with GT segments,
    video-level labels and (optionally) click annotations.

    Each data info holds ``video_name``, ``feature_path``, ``duration``,
    ``fps``, ``num_frames``, ``gt_segments`` ``(N, 2)`` (seconds),
    ``gt_labels`` ``(N,)``, ``video_labels`` ``(C,)`` multi-hot and the
    chosen clicks ``click_times`` ``(K,)`` seconds / ``click_labels``
    ``(K,)`` (class index for action clicks, ``C`` for background) /
    ``click_annotators``.

    Args:
        ann_file (str): ActivityNet-style GT JSON (see ``gt_io``).
        pipeline (list): Transforms, e.g. ``LoadSnippetFeature``,
            ``ResampleSnippets``, ``BuildClickLabels``,
            ``PackClickLocalizationInputs``.
        subset (str | list[str], optional): GT subset(s) to use, e.g.
            ``'val'`` (THUMOS14 training split) or ``'test'``.
        click_file (str | list[str], optional): Click annotations (see
            ``clicks``); several files (e.g. THUMOS14's background clicks
            and SF-Net's action clicks) are merged.
        classes (list[str] | str, optional): Class list, or a file holding
            it: a GT JSON (its class list) or a text file, one name per
            line. Defaults to the GT's. Required for a ``test_mode``
            dataset whose GT is in MMAction2's ActivityNet layout: such a
            file holds one split and no class list, and its labels may not
            be the training file's (give ``classes=`` the training file).
        data_prefix (dict): ``feature`` = directory of per-video files.
        feature_suffix (str): ``'.npy'``, ``'.npz'`` or ``'.csv'`` (MMAction2's
            ActivityNet features).
        click_annotators (str | list[str], optional): Keep only these
            annotators (default: all).
        annotator_mode (str): With several annotators on a video:
            ``'merge'`` (union of all clicks), ``'first'`` (the first of
            ``click_annotators`` -- or the alphabetically first -- that
            annotated the video), ``'random'`` (one annotator drawn each time
            the video is loaded, i.e. per epoch).
        click_types (Sequence[str]): Click types to keep.
        require_clicks (bool): Raise if the split has no click at all
            (click-supervised configs set it so a missing click file is not
            a silently weakly-supervised run).
        heldout_clicks (dict, optional): ``dict(fraction=0.2, seed=0,
            keep='train')``: the clicks of a deterministic ``fraction`` of
            the videos (:func:`~backtal_mmaction.datasets.clicks.heldout_videos`)
            are held out; ``keep='train'`` drops them (training and
            pseudo-labelling), ``keep='heldout'`` keeps only them (scoring
            a model on clicks it never saw). The videos themselves stay.
        check_files (bool): Check that every feature file exists at start.
        default_fps (float, optional): fps for videos whose GT lacks it.

    A ``test_mode`` dataset (validation / test) needs every video's frame
    count to map detections to frames: each video needs ``fps`` or
    ``frame_num`` in the GT (or ``default_fps``, or an official ``.npz``
    feature file carrying ``frame_num``); a video without any of them
    fails at load, naming the video and the fields.

    A GT entry with ``feature_duration`` (features that span only part of
    the video; MMAction2's ``feature_frame``) gets that span as its
    ``duration``: the snippet grid, the clicks' snippets and the decoded
    detections all use it, as MMAction2's ``GenerateLocalizationLabels``
    does, and its frame count is that of the span.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 subset: Optional[Union[str, Sequence[str]]] = None,
                 click_file: Optional[Union[str, Sequence[str]]] = None,
                 classes: Optional[Sequence[str]] = None,
                 data_prefix: dict = dict(feature=''),
                 feature_suffix: str = '.npy',
                 click_annotators: Optional[Union[str, Sequence[str]]] = None,
                 annotator_mode: str = 'merge',
                 click_types: Sequence[str] = CLICK_TYPES,
                 require_clicks: bool = False,
                 heldout_clicks: Optional[dict] = None,
                 check_files: bool = True,
                 default_fps: Optional[float] = None,
                 **kwargs) -> None:
        if annotator_mode not in ANNOTATOR_MODES:
            raise ValueError(f'ClickTALDataset: annotator_mode '
                             f'{annotator_mode!r} not in {ANNOTATOR_MODES}')
        if isinstance(click_types, str):
            click_types = (click_types, )
        bad = [t for t in click_types if t not in CLICK_TYPES]
        if bad:
            raise ValueError(f'ClickTALDataset: unknown click_types {bad}; '
                             f'valid: {CLICK_TYPES}')
        if isinstance(click_annotators, str):
            click_annotators = [click_annotators]
        check_flags('ClickTALDataset', require_clicks=require_clicks,
                    check_files=check_files)
        if default_fps is not None:
            check_range('default_fps', default_fps, 0, low_open=True,
                        owner='ClickTALDataset')
        self.subset = subset
        self.click_file = click_file
        self.classes = (classes if classes is None or isinstance(classes, str)
                        else list(classes))
        self.feature_suffix = feature_suffix
        self.click_annotators = click_annotators
        self.annotator_mode = annotator_mode
        self.click_types = tuple(click_types)
        self.require_clicks = require_clicks
        self.heldout_clicks = self._check_heldout(heldout_clicks)
        self.check_files = check_files
        self.default_fps = default_fps
        super().__init__(ann_file, pipeline, data_prefix=data_prefix,
                         **kwargs)

    # ------------------------------------------------------------------ #
    def load_data_list(self) -> List[dict]:
        names = (read_class_list(self.classes)
                 if isinstance(self.classes, str) else self.classes)
        gt = load_gt(self.ann_file, self.subset, names or None)
        if (names is None and self.test_mode
                and gt.data.get('layout') == MMACTION_LAYOUT):
            raise ValueError(
                f'{self.ann_file}: MMAction2\'s ActivityNet layout holds one '
                'split and no class list, so the classes of its labels may '
                'differ from the training file\'s (and the class indices '
                'with them); set this dataset\'s `classes` to the training '
                'GT file (or a text file, one class a line)')
        classes = gt.class_names
        self._metainfo['classes'] = tuple(classes)
        class_index = gt.class_index
        num_classes = len(classes)

        clicks = {}
        files = ([self.click_file] if isinstance(self.click_file, str)
                 else list(self.click_file or []))
        one_split = gt.data.get('layout') == MMACTION_LAYOUT
        elsewhere = 0  # clicked videos of other splits' files
        for path in files:
            # each file checked on its own, so an error names its file;
            # against the loaded GT (its parsed durations, no second parse)
            more = load_click_file(path)
            if one_split:
                ours = self._clicks_of_this_split(more, gt)
                elsewhere += len(more) - len(ours)
                more = ours
            validate_clicks(more, gt, path=path)
            clicks = merge_click_files(clicks, more) if clicks else more

        clicks = self._apply_heldout(clicks, list(gt.videos))
        clicks, past = self._clicks_within_features(clicks, gt)
        feat_dir = self.data_prefix.get('feature', '')
        data_list, missing, untimed = [], [], []
        for name, info in gt.videos.items():
            path = osp.join(feat_dir, name + self.feature_suffix)
            if self.check_files and not osp.isfile(path):
                missing.append(path)
            fps = info['fps'] or self.default_fps
            span, num_frames = feature_span(info)
            if num_frames is None and fps:
                num_frames = int(round(span * fps))
            if (num_frames is None and self.test_mode
                    and not self._file_has_timing(path)):
                untimed.append(name)
            video_labels = np.zeros(num_classes, np.float32)
            video_labels[info['labels']] = 1
            data_list.append(
                dict(
                    video_name=name,
                    feature_path=path,
                    duration=span,
                    fps=fps,
                    num_frames=num_frames,
                    num_classes=num_classes,
                    gt_segments=info['segments'],
                    gt_labels=info['labels'],
                    gt_scores=info['scores'],
                    video_labels=video_labels,
                    clicks_by_annotator=self._group_clicks(
                        clicks.get(name, []), class_index)))
        if untimed:
            more = f' (and {untimed[1:5]})' if len(untimed) > 1 else ''
            # the fields as the file spells them
            fields = (('"fps"', '"duration_frame"') if one_split else
                      ('"fps"', '"frame_num"'))
            raise ValueError(
                f'{self.ann_file}: {len(untimed)} video(s) of subset '
                f'{self.subset!r} have neither {fields[0]} nor {fields[1]}, '
                f'e.g. video {untimed[0]!r}{more}; '
                f'evaluating (test_mode) needs the frame count: add '
                f'{fields[0]} (or {fields[1]}) to these GT entries, or set '
                'the dataset\'s default_fps')
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} feature file(s) of subset {self.subset!r} '
                f'are missing, e.g. {missing[:5]} (data_prefix.feature='
                f'{feat_dir!r}, feature_suffix={self.feature_suffix!r})')
        num_clicked = sum(bool(d['clicks_by_annotator']) for d in data_list)
        if self.require_clicks and num_clicked == 0:
            why = (f' ({elsewhere} clicked video(s) of the click file(s), '
                   f'none in {self.ann_file}: the clicks of another split?)'
                   if elsewhere else '')
            raise ValueError(
                f'This config needs clicks (require_clicks=True) but subset '
                f'{self.subset!r} has none: click_file={self.click_file!r}, '
                f'click_annotators={self.click_annotators}, '
                f'click_types={self.click_types}.{why}')
        if self.click_file:
            notes = ''
            if elsewhere:
                notes += (f'; {elsewhere} clicked video(s) of the click '
                          f'file(s) are not in {self.ann_file} (other '
                          'splits\' files?)')
            if past:
                notes += (f'; {past} click(s) after the span the features '
                          'cover were dropped')
            print_log(f'ClickTALDataset[{self.subset}]: {len(data_list)} '
                      f'videos, {num_clicked} with clicks{notes}',
                      logger='current')
        return data_list

    @staticmethod
    def _clicks_within_features(clicks: dict, gt) -> tuple:
        """``(clicks, dropped)``: the clicks of videos whose features span
        only part of them (``feature_duration``) without those past that
        span. They lie in no snippet: clipped to the last one, they would
        all pile up there."""
        kept, dropped = {}, 0
        for video, vclicks in clicks.items():
            span = gt.videos[video]['feature_duration'] \
                if video in gt.videos else None
            if span is not None:
                inside = [c for c in vclicks if c['time'] <= span]
                dropped += len(vclicks) - len(inside)
                vclicks = inside
            kept[video] = vclicks
        return kept, dropped

    @staticmethod
    def _clicks_of_this_split(clicks: dict, gt) -> dict:
        """The clicks of the videos in a one-split GT file (MMAction2's
        layout): one click file covers every split (or only the training
        one), and each split's dataset reads it. A training dataset with
        ``require_clicks`` still refuses a file with no click of its
        videos (the wrong file)."""
        return {v: c for v, c in clicks.items() if v in gt.database}

    @staticmethod
    def _check_heldout(cfg: Optional[dict]) -> Optional[dict]:
        if cfg is None:
            return None
        cfg = dict(dict(fraction=0.2, seed=0, keep='train'), **cfg)
        unknown = sorted(set(cfg) - {'fraction', 'seed', 'keep'})
        if unknown:
            raise ValueError(f'ClickTALDataset: heldout_clicks takes '
                             f'fraction, seed, keep; got also {unknown}')
        if cfg['keep'] not in HELDOUT_KEEP:
            raise ValueError(f"ClickTALDataset: heldout_clicks.keep must be "
                             f"one of {HELDOUT_KEEP}, got {cfg['keep']!r}")
        heldout_videos([], cfg['fraction'])  # range check
        return cfg

    def _apply_heldout(self, clicks: dict, videos: List[str]) -> dict:
        """The clicks this dataset keeps under ``heldout_clicks``."""
        if self.heldout_clicks is None:
            return clicks
        held = heldout_videos(videos, self.heldout_clicks['fraction'],
                              self.heldout_clicks['seed'])
        want = self.heldout_clicks['keep'] == 'heldout'
        return {v: c for v, c in clicks.items() if (v in held) == want}

    @staticmethod
    def _file_has_timing(path: str) -> bool:
        """Whether an official ``.npz`` feature file carries ``frame_num``
        (``LoadSnippetFeature`` fills it in); reads only the archive's
        directory."""
        if not (path.endswith('.npz') and osp.isfile(path)):
            return False
        try:
            with np.load(path) as npz:
                return 'frame_num' in npz.files
        except Exception:  # noqa: BLE001  (unreadable: the loader names it)
            return False

    def _group_clicks(self, video_clicks: list, class_index: dict) -> dict:
        """``annotator -> (times (K,), labels (K,))`` for the kept clicks."""
        background = len(class_index)
        grouped = {}
        for click in video_clicks:
            if click['type'] not in self.click_types:
                continue
            who = click['annotator']
            if self.click_annotators is not None and \
                    who not in self.click_annotators:
                continue
            label = (background if click['type'] == 'background' else
                     class_index[click['label']])
            grouped.setdefault(who, ([], []))
            grouped[who][0].append(click['time'])
            grouped[who][1].append(label)
        return {
            who: (np.asarray(t, np.float64), np.asarray(lab, np.int64))
            for who, (t, lab) in grouped.items()
        }

    def _choose_annotators(self, by_annotator: dict) -> List[str]:
        if not by_annotator:
            return []
        if self.annotator_mode == 'merge':
            return sorted(by_annotator)
        if self.annotator_mode == 'random':
            return [sorted(by_annotator)[np.random.randint(len(by_annotator))]]
        order = self.click_annotators or sorted(by_annotator)
        return [next(a for a in order if a in by_annotator)]

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        by_annotator = info.pop('clicks_by_annotator')
        chosen = self._choose_annotators(by_annotator)
        times = [by_annotator[a][0] for a in chosen]
        labels = [by_annotator[a][1] for a in chosen]
        info['click_times'] = np.concatenate(times) if times else \
            np.zeros(0, np.float64)
        info['click_labels'] = np.concatenate(labels) if labels else \
            np.zeros(0, np.int64)
        info['click_annotators'] = [a for a in chosen
                                    for _ in by_annotator[a][0]]
        return info
