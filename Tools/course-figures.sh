#!/usr/bin/env bash
# Refreshes the figures the course notes show (Lessons/NN-slug/figures/*.png) from real runs of the lessons:
# each lesson listed below runs once (its default budget, or --pretrained where a checkpoint is shipped) into a
# scratch folder, and the named figures are copied next to its notes. Run from the repository root:
#
#   bash Tools/course-figures.sh            # every lesson listed below
#   bash Tools/course-figures.sh 06 07      # only these
#
# MNIST lessons need the data (see the README's "Data"); set GAN_DATA_DIR if it is not in a default place.
set -euo pipefail
cd "$(dirname "$0")/.."

# lesson folder | arguments | figures to keep
specs=(
  "01-autodiff||critic.png critic-loss.png"
  "02-toy-gan||final-density.png w1.png two-modes-mapping.png"
  "03-mode-collapse||modes-over-time.png final-samples.png grid-final-samples.png"
  "04-vanishing-gradients||discriminator.png gradient-norms.png final-samples.png"
  "05-wgan||critics.png distance.png w1-estimate.png"
  "06-dcgan-mnist|--pretrained|samples-final.png neighbors.png"
  "06-dcgan-mnist||metrics.png samples-midway.png"
  "07-cyclegan||translations-a-to-b.png points-mapping.png"
  "08-stylegan-mixing|--pretrained|samples.png mixing-coarse.png mixing-fine.png mixing-measured.png"
  "08-stylegan-mixing|--pretrained --dataset mnist|samples.png mixing-coarse.png"
  "09-non-convergence||dirac-field.png dirac-distance.png ring-stability.png"
  "10-super-resolution||comparison.png training.png scores.png"
  "11-data-augmentation||cgan-samples.png accuracy-per-seed.png conditional-confusion.png"
)

wanted=("$@")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for spec in "${specs[@]}"; do
  IFS='|' read -r folder arguments figures <<<"$spec"
  number=${folder%%-*}
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " =~ " ${number} " ]]; then continue; fi
  run="$scratch/$folder${arguments// /}"
  echo "lesson-$folder $arguments"
  # shellcheck disable=SC2086
  swift run "lesson-$folder" $arguments --out "$run" >"$run.log" 2>&1 || {
    echo "lesson-$folder failed; its output is in $run.log" >&2
    cp "$run.log" "/tmp/lesson-$folder.log"
    exit 1
  }
  mkdir -p "Lessons/$folder/figures"
  # The arguments name the copies: "--pretrained --dataset mnist" gives samples-pretrained-dataset-mnist.png.
  suffix=""
  for argument in $arguments; do suffix="$suffix-${argument#--}"; done
  for figure in $figures; do
    cp "$run/$figure" "Lessons/$folder/figures/${figure%.png}$suffix.png"
  done
done
echo "done: the figures are in Lessons/*/figures"
