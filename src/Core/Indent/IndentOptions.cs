namespace Approvals.Core.Indent;

/// <summary>Where Indent is and which space we act in. The API token is a secret and is read through
/// <see cref="Secrets.ISecretProvider"/>, never kept here.</summary>
public sealed class IndentOptions
{
    public const string SpaceSetting = "INDENT_SPACE";
    public const string TokenSetting = "INDENT_API_TOKEN";
    public const string BaseUrlSetting = "INDENT_BASE_URL";
    public const string DefaultBaseUrl = "https://platform.indentapis.com/v1";

    /// <summary>The Indent space (account), e.g. <c>acmecorp</c>.</summary>
    public string Space { get; set; } = "";

    /// <summary>The API root, <see cref="DefaultBaseUrl"/> unless overridden (emulator, tests).</summary>
    public Uri BaseUrl { get; set; } = new(DefaultBaseUrl);

    /// <summary>Retry schedule for transient failures (5xx, 429, timeouts, resets).</summary>
    public IndentRetryOptions Retry { get; set; } = new();

    /// <summary>Reads <c>INDENT_SPACE</c> and <c>INDENT_BASE_URL</c>; throws naming the setting when one is missing or bad.</summary>
    public static IndentOptions FromConfiguration(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var space = configuration[SpaceSetting];
        if (string.IsNullOrWhiteSpace(space))
        {
            throw new IndentConfigurationException($"{SpaceSetting} is not set: name the Indent space (account) to create petitions in, e.g. INDENT_SPACE=acmecorp.");
        }

        if (!IsValidSpace(space))
        {
            throw new IndentConfigurationException($"{SpaceSetting} must be letters, digits, '-' or '_' (at most 128 characters).");
        }

        var options = new IndentOptions { Space = space.Trim() };
        var baseUrl = configuration[BaseUrlSetting];
        if (!string.IsNullOrWhiteSpace(baseUrl))
        {
            if (!Uri.TryCreate(baseUrl.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                throw new IndentConfigurationException($"{BaseUrlSetting} must be an absolute http(s) URL, such as {DefaultBaseUrl}.");
            }

            options.BaseUrl = uri;
        }

        return options;
    }

    internal static bool IsValidSpace(string space) =>
        space.Trim().Length is > 0 and <= 128 && space.Trim().All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

/// <summary>Backoff with jitter for Indent calls.</summary>
public sealed class IndentRetryOptions
{
    public int MaxRetryAttempts { get; set; } = 5;
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>A setting Indent needs is missing or malformed. The message names the setting, never its value.</summary>
public sealed class IndentConfigurationException(string message) : InvalidOperationException(message);
