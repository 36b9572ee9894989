using System.Globalization;

namespace Approvals.Core.Indent;

/// <summary>Go-style durations as Indent writes them (<c>3h0m0s</c>).</summary>
public static class GoDuration
{
    public static string Format(TimeSpan span)
    {
        var total = (long)Math.Round(span.TotalSeconds);
        var hours = total / 3600;
        var minutes = total % 3600 / 60;
        var seconds = total % 60;
        return string.Create(CultureInfo.InvariantCulture, $"{hours}h{minutes}m{seconds}s");
    }

    /// <summary>Parses <c>3h0m0s</c>, <c>90m</c>, <c>45s</c>, <c>1h30m</c>; false for anything else.</summary>
    public static bool TryParse(string? text, out TimeSpan span)
    {
        span = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 32)
        {
            return false;
        }

        var total = 0d;
        var number = "";
        var sawUnit = false;
        foreach (var c in text.Trim())
        {
            if (char.IsAsciiDigit(c) || c == '.')
            {
                number += c;
                continue;
            }

            if (number.Length == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            total += c switch
            {
                'h' => value * 3600,
                'm' => value * 60,
                's' => value,
                _ => double.NaN,
            };
            if (double.IsNaN(total))
            {
                return false;
            }

            number = "";
            sawUnit = true;
        }

        if (number.Length > 0 || !sawUnit || total <= 0 || total > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        span = TimeSpan.FromSeconds(total);
        return true;
    }
}
