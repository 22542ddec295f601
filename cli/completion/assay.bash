# bash completion for assay(1).
_assay() {
  local cur prev words cword
  _init_completion || return

  local commands="events show stats feeds parse tag rules db alerts"
  local store_opts="--store --config -c"
  local cmd="" sub="" i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -*) ;;
      *)
        if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then sub=${words[i]}; fi
        ;;
    esac
  done

  case $prev in
    --store | --root) _filedir -d; return ;;
    --config | -c | --file | --rules) _filedir '@(yaml|yml|xml|rss|atom|json)'; return ;;
    --format)
      case $cmd in
        events) COMPREPLY=($(compgen -W "table json ndjson csv" -- "$cur")) ;;
        show) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "table json" -- "$cur")) ;;
      esac
      return
      ;;
    --min-severity) COMPREPLY=($(compgen -W "info low medium high critical" -- "$cur")); return ;;
    --by) COMPREPLY=($(compgen -W "tag mineral country bloc" -- "$cur")); return ;;
    --state) COMPREPLY=($(compgen -W "firing resolved failed all" -- "$cur")); return ;;
    --tag | --any-tag)
      COMPREPLY=($(compgen -W "export_controls trade_bloc critical_minerals supply_risk" -- "$cur"))
      return
      ;;
    --since | --until | --limit | --grep | --mineral | --country | --bloc | --feed | --story | \
      --min-score | --title | --summary | --url)
      return
      ;;
  esac

  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$commands --help" -- "$cur"))
    return
  fi
  local opts=""
  case $cmd in
    events)
      opts="$store_opts --since --until --tag --any-tag --mineral --country --bloc --feed --story
            --min-severity --min-score --limit --oldest-first --grep --follow --format" ;;
    show) opts="$store_opts --format" ;;
    stats) opts="$store_opts --since --until --by --hourly --format --tag" ;;
    feeds) opts="$store_opts --format" ;;
    parse) opts="--json"; [[ $cur != -* ]] && { _filedir; return; } ;;
    tag) opts="--jsonl --rules --no-spans" ;;
    rules)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "check test replay" -- "$cur"))
        return
      fi
      case $sub in
        check) [[ $cur != -* ]] && { _filedir '@(yaml|yml)'; return; } ;;
        test) opts="--rules --title --summary --file --url" ;;
        replay) opts="$store_opts --rules --since --apply --format" ;;
      esac
      ;;
    alerts)
      if [[ -z $sub && $cur != -* ]]; then
        COMPREPLY=($(compgen -W "show" -- "$cur"))
        return
      fi
      opts="$store_opts --state --format"
      ;;
    db)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "backup restore verify compact" -- "$cur"))
        return
      fi
      opts="$store_opts --force"
      [[ $cur != -* && ($sub == backup || $sub == restore) ]] && { _filedir -d; return; }
      ;;
  esac
  COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
}
complete -F _assay assay
