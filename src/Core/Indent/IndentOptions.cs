namespace Approvals.Core.Indent;

/// <summary>Where Indent is and which space we act in. The API token is a secret and is read through
/// <see cref="Secrets.ISecretProvider"/>, never kept here.</summary>
public sealed class IndentOptions : Settings.SettingsOptions
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

    /// <summary>Reads <c>INDENT_SPACE</c> and <c>INDENT_BASE_URL</c> outside a container; throws naming the setting
    /// when one is missing or bad. Inside a host the same rules run through <see cref="Settings.Settings.AddSettings{T}"/>.</summary>
    public static IndentOptions FromConfiguration(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        try
        {
            return Settings.Settings.Read<IndentOptions>(configuration);
        }
        catch (Settings.SettingsException e)
        {
            throw new IndentConfigurationException(e.Message);
        }
    }

    protected override void Read(Settings.SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var space = reader.Text(SpaceSetting);
        if (space is null)
        {
            reader.Problem($"{SpaceSetting} is not set: name the Indent space (account) to create petitions in, e.g. INDENT_SPACE=acmecorp.");
        }
        else if (!IsValidSpace(space))
        {
            reader.Problem($"{SpaceSetting} must be letters, digits, '-' or '_' (at most 128 characters).");
        }
        else
        {
            Space = space;
        }

        BaseUrl = reader.AbsoluteUrl(BaseUrlSetting, BaseUrl, httpsOnly: false, DefaultBaseUrl)!;
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
