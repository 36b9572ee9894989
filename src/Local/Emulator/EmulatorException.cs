namespace Approvals.Local.Emulator;

/// <summary>An error the emulator answers with, in Indent's shape: HTTP status plus google.rpc code.</summary>
public sealed class EmulatorException(int httpStatus, int code, string message) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;
    public int Code { get; } = code;

    public static EmulatorException Invalid(string message) => new(400, 3, message);
    public static EmulatorException NotFound(string message) => new(404, 5, message);
    public static EmulatorException Precondition(string message) => new(400, 9, message);
}
