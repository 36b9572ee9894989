using System.Net;

namespace Approvals.Core.Indent;

/// <summary>Indent answered with an error. Carries the HTTP status and Indent's <c>status.code</c>/<c>message</c>;
/// never the API token or request headers.</summary>
public sealed class IndentApiException : Exception
{
    public IndentApiException(string method, string path, HttpStatusCode statusCode, int? indentCode, string? indentMessage, TimeSpan? retryAfter)
        : base(Describe(method, path, statusCode, indentCode, indentMessage))
    {
        Method = method;
        Path = path;
        StatusCode = statusCode;
        IndentCode = indentCode;
        IndentMessage = indentMessage;
        RetryAfter = retryAfter;
    }

    public string Method { get; }
    public string Path { get; }
    public HttpStatusCode StatusCode { get; }

    /// <summary>Indent's google.rpc code (3 invalid argument, 5 not found, 7 permission denied, 16 unauthenticated…).</summary>
    public int? IndentCode { get; }
    public string? IndentMessage { get; }
    public TimeSpan? RetryAfter { get; }

    /// <summary>Worth retrying: 5xx, 408 and 429. Other 4xx never are.</summary>
    public bool IsTransient => IsTransientStatus(StatusCode);

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    internal static bool IsTransientStatus(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    static string Describe(string method, string path, HttpStatusCode statusCode, int? code, string? message)
    {
        var text = $"Indent API {method} {path} failed with HTTP {(int)statusCode} ({statusCode})";
        if (code is not null || !string.IsNullOrEmpty(message))
        {
            text += $": code {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}, {message}";
        }

        return text;
    }
}
